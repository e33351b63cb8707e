"""The AWS provider versions a stack's JSON supports (no bindings: scripts read it too)."""

# The bindings target provider 6, and the JSON uses only what 5.100 accepts too (no
# provider-6-only argument, no attribute either major deprecates), so a site that has not
# moved to provider 6 yet (or mirrors only 5.100 for air-gapped runs) applies the same JSON.
AWS_PROVIDER_VERSIONS = ">= 5.100, < 7"
