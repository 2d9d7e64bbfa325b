from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "marmots.accounts"
    label = "accounts"
