"""Customer notifications: an outbox of messages (SMS, WeChat, email) written in the same transaction as
the event that causes them and delivered by a worker after the commit, through provider adapters.

This domain sits below orders: orders decide which event calls for which message (orders/notify.py) and
pass everything a message needs as arguments; nothing here reads orders.
"""
