"""API of the peer groups: members' groups, conversations, reactions, reports, their own posts and
1:1 messages (member.py); peer specialists' moderation and inbox (moderation.py).

The API has no rules of its own: the same selectors as the pages decide what a user may see (404
for anything else), the same services make every change, with the same screening.
"""
