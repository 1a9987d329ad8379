from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "metrics"
    verbose_name = "Flow metrics"

    def ready(self) -> None:
        from metrics.exports import map_header
        from metrics.services import summary_request
        from streams import extensions

        extensions.flow_change_listen(summary_request)
        extensions.picture_header_register(map_header)
