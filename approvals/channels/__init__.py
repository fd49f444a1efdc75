"""Reminders where people read them (issue 23): 企业微信 and 钉钉 group robots, 企业微信
application messages and SMS, as delivery channels of the reminders' outbox."""
