"""The chat bots (Slack, Feishu/Lark): surfaces of the one answer service."""
