"""Invoicing (发票): profiles, invoices and their tax, approvals, the e-invoice platforms, the PDF."""
