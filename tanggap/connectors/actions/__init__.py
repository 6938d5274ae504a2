"""Every write of the connectors room, one module per noun: `channels` (channel accounts),
`webhooks` (intake and draining), `outbound` (what platforms report about our sends),
`moderation` (hiding comments), `credentials` (sealing stored secrets under a new key). Each
action owns its transaction, writes its audit event in it, and schedules side effects on commit.
Rows of the cases room are written by cases.actions."""
