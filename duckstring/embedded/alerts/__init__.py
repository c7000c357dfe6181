"""Alerts (issue 13): rules that turn status changes into one alert per root cause (rules.py,
pure), where alerts go (targets.py), the durable outbox and its delivery thread (outbox.py,
delivery.py)."""
