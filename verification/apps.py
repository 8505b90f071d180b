from django.apps import AppConfig


class VerificationConfig(AppConfig):
    name = "verification"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # An enabled but half-configured adapter stops every process (API, worker, commands) at start.
        from django.conf import settings

        from kyc.adapters.registry import adapters_check_configuration

        adapters_check_configuration(settings)
