"""The fake worker the shell's tests run on offers what EngineWorker offers, called the same way."""

from __future__ import annotations

import inspect

from custom_components.uspd.engine.worker import EngineWorker

from .fake_worker import FakeWorker


def _public(cls: type) -> dict[str, object]:
    """The class's own public members, by name."""
    return {name: member for name, member in vars(cls).items() if not name.startswith("_")}


def test_the_fake_takes_what_the_engine_worker_takes() -> None:
    real = list(inspect.signature(EngineWorker).parameters.values())
    fake = list(inspect.signature(FakeWorker).parameters.values())[1:]  # after the FakeEngine it reports to
    assert [(p.name, p.kind) for p in fake] == [(p.name, p.kind) for p in real]


def test_the_fake_offers_every_public_method_and_property_of_the_engine_worker() -> None:
    fake = _public(FakeWorker)
    for name, member in _public(EngineWorker).items():
        assert name in fake, name
        if isinstance(member, property):
            assert isinstance(fake[name], property), name
        elif callable(member):
            real_params = list(inspect.signature(member).parameters)
            fake_member = fake[name]
            assert callable(fake_member), name
            assert list(inspect.signature(fake_member).parameters) == real_params, name
