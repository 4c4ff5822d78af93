import difflib
import pytest
from randomization import services
from tests.randomization import twin_world

def short(x):
    return "\n".join(map(str, x)) if isinstance(x, list) else str(x)

@pytest.mark.django_db
def test_debug(role_users, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(services, "_choose", lambda c: c[0])
    monkeypatch.setattr(services, "_eligibility_preconditions", lambda p: [])
    a = twin_world.twin(False, role_users, django_capture_on_commit_callbacks)
    b = twin_world.twin(True, role_users, django_capture_on_commit_callbacks)
    d = twin_world.differences(a, b)
    print("NDIFF", len(d), [k for k in d if "two-factor" not in k][:15])
    for key in [k for k in d if "two-factor" not in k][:5]:
        x = a[key] if key in a else a["pages"].get(key)
        y = b[key] if key in b else b["pages"].get(key)
        xs = short(x).replace("><", ">\n<").splitlines(); ys = short(y).replace("><", ">\n<").splitlines()
        print("=====", key)
        for line in list(difflib.unified_diff(xs, ys, lineterm="", n=0))[2:12]:
            print(line[:300])
