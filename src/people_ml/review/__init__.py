"""The deployment review: what a person weighs before deploying a run.

- :mod:`~people_ml.review.policy`: a model's review policy from its spec
  (protected attributes, org slices, minimum group size, gates);
- :mod:`~people_ml.review.fairness`: group metrics and disparities with
  bootstrap intervals, small groups suppressed;
- :mod:`~people_ml.review.compare`: the run beside the run BI shows, both on
  the same rows (the shown run's verified pickle, never refitted);
- :mod:`~people_ml.review.gates`: each gate judged (fairness gates on their
  intervals);
- :mod:`~people_ml.review.run`: all of it computed inside a run;
- :mod:`~people_ml.review.report`: ``people-ml review RUN`` in a terminal.
"""
