"""Template filters of the handover app."""
