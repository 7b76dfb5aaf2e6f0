"""The nightly run recomputes every module's reach from its facts, per organisation."""

from __future__ import annotations

from measurement.tasks import REACH_CHUNK, fan_out_nightly_rollups, rollup_module_reach
from organizations.tenancy import tenant_context
from pathways.models import ActivityEvent, ModuleReach, ModuleReaction
from tests.conftest import make_member
from tests.pathways.library.conftest import make_module


def _facts(org, module, learners, opened, completed, ratings):
    people = [
        make_member(org, f"r{i}@{org.slug}.example", is_learner=True) for i in range(learners)
    ]
    with tenant_context(org):
        # Written outside the services, as a data fix would: no refresh is queued.
        for person in people[:opened]:
            ActivityEvent.objects.create(
                actor=person, verb="experienced", object_type="module", object_id=str(module.pk)
            )
        for person in people[:completed]:
            ActivityEvent.objects.create(
                actor=person, verb="completed", object_type="module", object_id=str(module.pk)
            )
        for person in people[:ratings]:
            ModuleReaction.objects.create(learner=person, module=module, useful=4, relevant=2)


def _reach(org, module):
    with tenant_context(org):
        row = ModuleReach.objects.get(module=module)
        return row.opened, row.completed, row.ratings, row.useful, row.relevant


def test_the_nightly_run_recomputes_each_organisations_module_reach(org_a, org_b):
    a = make_module(org_a, "Hard conversations")
    b = make_module(org_b, "Hard conversations")
    untouched = make_module(org_a, "Nobody opened it")
    _facts(org_a, a, learners=6, opened=6, completed=4, ratings=5)
    _facts(org_b, b, learners=3, opened=2, completed=1, ratings=1)
    with tenant_context(org_a):  # a stale row, as after a refresh that was given up on
        ModuleReach.objects.create(module=a, opened=99, completed=99)

    assert fan_out_nightly_rollups.apply().get() == 2

    assert _reach(org_a, a) == (6, 4, 5, 4.0, 2.0)
    assert _reach(org_a, untouched) == (0, 0, 0, None, None)
    assert _reach(org_b, b) == (2, 1, 1, 4.0, 2.0)
    with tenant_context(org_a):
        assert ModuleReach.objects.count() == 2  # org_b's row is not org_a's


def test_it_recomputes_in_chunks_and_is_idempotent(org_a, org_b, monkeypatch):
    import measurement.tasks

    modules = [make_module(org_a, f"Module {i}") for i in range(5)]
    _facts(org_a, modules[3], learners=2, opened=2, completed=1, ratings=0)
    monkeypatch.setattr(measurement.tasks, "REACH_CHUNK", 2)
    assert REACH_CHUNK > 2
    assert rollup_module_reach.apply(args=(org_a.pk,)).get() == {"modules": 5}
    first = _reach(org_a, modules[3])
    assert rollup_module_reach.apply(args=(org_a.pk,)).get() == {"modules": 5}
    assert _reach(org_a, modules[3]) == first == (2, 1, 0, None, None)
    with tenant_context(org_a):
        assert ModuleReach.objects.count() == 5
