from django.core.management.base import BaseCommand

from tanggap.connectors.models import FailedEventState, FailedWebhookEvent, WebhookDelivery


class Command(BaseCommand):
    help = ("What the desk could not store from platform webhooks: deliveries dead-lettered "
            "after CONNECTORS_WEBHOOK_MAX_ATTEMPTS failed runs, and how many events wait on each "
            "workspace's dead-letter page (/w/<slug>/channels/dead-letters/).")

    def handle(self, *args, **options):
        dead = WebhookDelivery.objects.filter(dead_at__isnull=False).order_by("id")
        for delivery in dead:
            self.stdout.write(f"dead delivery {delivery.pk} ({delivery.source}) received "
                              f"{delivery.received_at.isoformat()} attempts={delivery.attempts}"
                              f" error={delivery.error}")
        waiting = (FailedWebhookEvent.objects.filter(state=FailedEventState.FAILED)
                   .values_list("channel__workspace__slug", flat=True))
        counts: dict[str, int] = {}
        for slug in waiting:
            counts[slug] = counts.get(slug, 0) + 1
        for slug, count in sorted(counts.items()):
            self.stdout.write(f"workspace {slug}: {count} webhook events not stored")
        if not dead and not counts:
            self.stdout.write("every webhook was stored")
