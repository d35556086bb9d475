"""The decision log, read with the ledger's parser and checked with its rules.

Every ML model reads the log through this model, so a malformed or
rule-breaking log fails the build here, naming the line and the rule, before
any model trains or scores.
"""

from people_ml.runs import decision_log_frame


def model(dbt, session):
    dbt.config(materialized="table")
    return decision_log_frame(session)
