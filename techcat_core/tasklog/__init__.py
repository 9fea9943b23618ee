"""The task log: parsing with positions, its rules, and the safe store."""
