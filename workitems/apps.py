from django.apps import AppConfig


class WorkitemsConfig(AppConfig):
    name = "workitems"
    verbose_name = "Measured flow: work items and their history"

    def ready(self) -> None:
        from django.core import checks

        from streams import extensions
        from workitems.checks import credentials_key_check
        from workitems.selectors import board_work_states
        from workitems.services import state_activity_op

        extensions.board_op_kind_register("state", state_activity_op)
        extensions.snapshot_part_register("work_states", board_work_states)
        checks.register(credentials_key_check, checks.Tags.security)
