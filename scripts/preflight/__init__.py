"""Preflight: read-only checks of the AWS account a deployment is about to be applied to.

    python -m scripts.preflight --vars-file vars/prod.tfvars.json [--account 123456789012]
    make preflight VARS_FILE=vars/prod.tfvars.json    # synthesizes the deployment first

With the operator's credentials, in the deployment's Region, it checks what the first apply
needs and Terraform cannot see before it starts creating: the credentials' account; the Outpost
(ACTIVE), the instance types of the Auto Scaling group and the test client (offered on it and,
where CloudWatch has the Outposts capacity metrics, with free capacity), the local gateway, its
route table and the CoIP pool (with free addresses for the ALB); the subnet CIDRs; the globally
named S3 buckets (free or the account's own); every name the deployment would create (not
taken); the NAT gateway, Elastic IP, VPC and endpoint quotas. Region mode skips the Outpost
rows. What the deployment creates is read from its synthesized Terraform JSON
(``cdktf.out/stacks/<deployment>/cdk.tf.json``), so the names are the ones it would apply.

Only Describe, Get, List, Head and BatchGet calls are made: any other operation is refused
before it is sent. A table of the checks goes to stdout (``--format json`` for a JSON
document), progress to stderr. Exit status: 0 when no check failed, 1 when one did, 2 when the
checks could not run (an unreadable vars file, no synthesized JSON, no usable credentials).

The modules, each importing only those above it:

- ``report``: a check's result (``Row``), ``PreflightError``, the table and the summary line.
- ``aws``: the read-only boto3 clients, the credentials' account, a failed call as a row.
- ``stack``: the synthesized JSON: loading it, and what it launches, names and addresses.
- ``context``: what every check reads (``Context``).
- ``account``, ``outpost``, ``local_gateway``, ``network``, ``buckets``, ``names``, ``quotas``:
  the checks, each a function of a ``Context`` returning its rows.
- ``checks``: the checks in their order, and running them.
- ``cli`` (``python -m scripts.preflight``): the command line, the output, the exit status.
"""
