"""Custom actions of the overdue assistant (run by the rasa-sdk action server)."""
