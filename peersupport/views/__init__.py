"""Pages of the peer groups: members\x27 pages, moderation, 1:1 messages."""
