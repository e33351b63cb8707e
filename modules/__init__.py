"""Constructs that mirror the sample's Terraform modules one-for-one."""
