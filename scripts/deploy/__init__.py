"""``make deploy VARS_FILE=...``: one command from the ``producer/`` source to a running service.

On the stack ``make synth`` wrote for the vars file (``cdktf.out/stacks/<deployment>``, with the
state where ``cdktf deploy`` keeps it):

1. ``terraform init``, then the plan of the whole deployment, shown; one confirmation
   (``--auto-approve`` skips it);
2. the image module alone, as the README's targeted first apply;
3. the producer image: nothing to build when the repository already holds the tag of this
   source's digest; otherwise the CodeBuild project's build, followed phase by phase, the
   build log's tail printed at the end. A failed build stops the deploy with its phase and
   reason, and nothing else is applied;
4. the rest of the deployment, planned again: a change the confirmed plan did not show stops
   the deploy before it is applied;
5. the wait until the ECS service is stable: one deployment, rolled out, every task running
   (a failed rollout, or none within ``--stable-timeout``, stops it with the service's events).

Exit status: 0 deployed, 1 a step failed (said on the last line), 2 bad input (no vars file,
no synthesized stack).
"""
