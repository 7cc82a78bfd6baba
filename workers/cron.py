"""Every periodic job, in one place. Loaded by ``flask --app wsgi scheduler`` (RQ's cron scheduler)."""

from rq import cron

from workers import channel_sync, einvoice, logistics, notifications, orders, runtime

MINUTE = 60

# Jobs committed while Redis was down or lost by it (the jobs outbox, app/job_outbox.py).
cron.register(runtime.sweep_job_outbox, queue_name="default", interval=MINUTE, job_timeout=5 * MINUTE)
cron.register(orders.sweep_deadlines, queue_name="default", interval=MINUTE, job_timeout=5 * MINUTE)
cron.register(orders.release_presales, queue_name="default", interval=MINUTE, job_timeout=5 * MINUTE)
cron.register(orders.check_stock_consistency, queue_name="default", interval=15 * MINUTE, job_timeout=10 * MINUTE)
# 03:30 Asia/Shanghai: after the day's shipping, before the morning's purchasing.
cron.register(orders.recompute_safety_stock, queue_name="default", cron="30 19 * * *", job_timeout=30 * MINUTE)
# The outbox row is the record of a message; these two make sure every one goes out (outbox.py).
cron.register(notifications.retry_due_messages, queue_name="notifications", interval=MINUTE, job_timeout=MINUTE)
cron.register(notifications.requeue_stuck_messages, queue_name="notifications", interval=MINUTE, job_timeout=MINUTE)
# Channel sync (workers/channel_sync.py): a pull per API shop every minute (deduplicated per shop), the
# stock ledger scan that feeds shipment and stock pushes (a scan older than its interval is dropped,
# not run late), a sweep for unacknowledged shipments, and the stock drift check.
cron.register(channel_sync.enqueue_pulls, queue_name="channels", interval=MINUTE, job_timeout=MINUTE)
cron.register(channel_sync.scan_stock_changes, queue_name="channels", interval=3, job_timeout=MINUTE,
              ttl=10, result_ttl=30)
cron.register(channel_sync.push_pending_shipments, queue_name="channels", interval=MINUTE, job_timeout=5 * MINUTE)
cron.register(channel_sync.check_stock_drift, queue_name="channels", interval=30 * MINUTE, job_timeout=10 * MINUTE)
# Parcel tracking (workers/logistics.py): parcels silent for TRACKING_SILENT_HOURS or not subscribed are
# polled; pushes do the rest.
cron.register(logistics.poll_due_parcels, queue_name="logistics", interval=5 * MINUTE, job_timeout=5 * MINUTE)
# Invoicing (workers/einvoice.py): automatic requests, waiting invoices whose orders completed, refunds
# after issue (red-letter), and platform look-ups that are due (a lost job, no answer, still issuing).
cron.register(einvoice.sweep_invoices, queue_name="einvoice", interval=MINUTE, job_timeout=5 * MINUTE)
# 02:30 Asia/Shanghai: yesterday's (and the week before's) reconciliation rows.
cron.register(einvoice.reconcile_invoices, queue_name="einvoice", cron="30 18 * * *", job_timeout=30 * MINUTE)
