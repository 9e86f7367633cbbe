"""The handover case: who leaves, who opened it, who takes over, and its states."""
