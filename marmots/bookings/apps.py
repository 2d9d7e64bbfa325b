from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "marmots.bookings"
    label = "bookings"
    verbose_name = "Réservations"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from marmots.activities.models import AgeGroupCapacity, Closure, Period

        from .context import forget
        from .models import DeadlinePolicy

        def changed(sender, instance, **kwargs):
            forget(instance.structure_id)

        def group_changed(sender, instance, **kwargs):
            forget(instance.slot.activity.structure_id)

        for signal in (post_save, post_delete):
            signal.connect(
                group_changed, sender=AgeGroupCapacity, weak=False, dispatch_uid="rules-ag"
            )
        for model in (Period, Closure, DeadlinePolicy):
            # weak=False: `changed` is local to this method and would otherwise be collected.
            for signal in (post_save, post_delete):
                signal.connect(changed, sender=model, weak=False, dispatch_uid=f"rules-{model}")
