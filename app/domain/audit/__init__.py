"""The audit log (PIPL): who saw full personal data and who changed credentials, roles and API tokens."""
