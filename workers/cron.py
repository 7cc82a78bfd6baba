"""Every periodic job, in one place. Loaded by ``flask --app wsgi scheduler`` (RQ's cron scheduler)."""

from rq import cron

from workers import orders

MINUTE = 60

cron.register(orders.sweep_deadlines, queue_name="default", interval=MINUTE, job_timeout=5 * MINUTE)
cron.register(orders.release_presales, queue_name="default", interval=MINUTE, job_timeout=5 * MINUTE)
cron.register(orders.check_stock_consistency, queue_name="default", interval=15 * MINUTE, job_timeout=10 * MINUTE)
# 03:30 Asia/Shanghai: after the day's shipping, before the morning's purchasing.
cron.register(orders.recompute_safety_stock, queue_name="default", cron="30 19 * * *", job_timeout=30 * MINUTE)
