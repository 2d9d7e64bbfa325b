"""Pass on unanswered waiting-list offers and fill any place left free (cron, every 5 minutes)."""

from django.core.management.base import BaseCommand

from marmots.bookings import waitlist


class Command(BaseCommand):
    help = (
        "Listes d'attente : les offres de place non acceptées à temps passent à la famille "
        "suivante, les places restées libres sont proposées, les inscriptions des jours passés "
        "sont closes. Sans effet si relancée aussitôt."
    )

    def handle(self, *args, **options):
        expired = waitlist.expire_offers()
        served = waitlist.fill_pending()
        lapsed = waitlist.lapse_past()
        self.stdout.write(
            f"Listes d'attente : {expired} offre(s) expirée(s) passée(s) à la suite, {served} "
            "place(s) restée(s) libre(s) proposée(s) ou attribuée(s), "
            f"{lapsed} inscription(s) de jours passés close(s)."
        )
