"""Edit checks of the CRF forms, one small module per form.

Each module has `check(values, facts, instance) -> list[Finding]` over the model field
values (standard-unit copies already derived): HARD findings refuse the save, SOFT ones
are saved and open a system query (crf.models.DataQuery), MISSING ones leave the form "in progress".
Skip logic is declared as data, `SHOW_WHEN` (crf.rules.conditions): fields that do not
apply are cleared by the save and hidden by the page.
"""
