"""End-to-end tests: the Terraform workflow of the README against a local AWS emulator."""
