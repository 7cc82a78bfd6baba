"""Local stand-ins for the outside platforms, each speaking its platform's protocol, served as their own
app (not the OrderHub web app) by ``flask --app wsgi simulators`` and started inside tests.

Development and the demo point the real adapters at them; what they receive is kept so that a person
can see it (the staff page 消息模拟器 shows the messaging simulators' inbox).
"""
