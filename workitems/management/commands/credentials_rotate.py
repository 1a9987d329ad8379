"""Re-encrypts every tracker credential under the first key of VSM_CREDENTIALS_KEY.

To rotate the key: set VSM_CREDENTIALS_KEY=<new>,<old>, run this command, then drop <old>."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from workitems.crypto import CredentialKeyError, credential_rotate
from workitems.models import Connection


class Command(BaseCommand):
    help = "Re-encrypt every tracker credential under the first key of VSM_CREDENTIALS_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        count = 0
        with transaction.atomic():
            for connection in Connection.objects.select_for_update().exclude(
                credential_encrypted=""
            ):
                try:
                    connection.credential_encrypted = credential_rotate(
                        connection.credential_encrypted
                    )
                except CredentialKeyError as error:
                    raise CommandError(f"Connection {connection.pk}: {error}") from None
                connection.save(update_fields=["credential_encrypted"])
                count += 1
        self.stdout.write(f"Re-encrypted {count} credential(s) under the first key.")
