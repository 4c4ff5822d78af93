import pytest
from tests.eligibility.factories import make_screening
from eligibility.adapter import data_from_screening, to_case_dict, evaluate_data
@pytest.mark.django_db
def test_x(site11):
    s = make_screening(site11)
    print(s.missing_codes, s.failed_codes)
    d = to_case_dict(data_from_screening(s))
    print(d)
