from django.apps import AppConfig
from django.urls import register_converter


class AccountsConfig(AppConfig):
    name = "kam.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from kam.accounts.access import RULE
        from kam.accounts.converters import CustomerIdConverter
        from kam.people.records import register_record_rule

        # Every check on a record asks whose account it is (kam.accounts.access).
        register_record_rule(RULE)

        # Before any URLconf is read: every app's account-scoped routes use it.
        register_converter(CustomerIdConverter, "customer_id")
