"""A motion model that fails while sensing raises the same repair as one that never loaded."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.uspd.const import DOMAIN

from . import PREFIX
from .fake_worker import VACANT, FakeEngine


async def test_a_model_dropped_mid_stream_raises_the_model_repair(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake_worker: FakeEngine
) -> None:
    """The engine's model_error in a snapshot becomes the model_failed issue, with its reason, once."""
    issue_id = f"model_{init_integration.entry_id}"
    issues = ir.async_get(hass)
    await fake_worker.publish(VACANT)
    assert issues.async_get_issue(DOMAIN, issue_id) is None
    why = "the motion model gave non-finite probabilities"
    await fake_worker.publish(VACANT, classifier="baseline", model_error=why)
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "model_failed"
    assert issue.translation_placeholders is not None
    assert why in issue.translation_placeholders["error"]
    classifier = hass.states.get(f"sensor.{PREFIX}_classifier")
    assert classifier is None or classifier.state == "baseline"  # a diagnostic sensor, disabled by default
