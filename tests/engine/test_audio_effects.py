"""Capture devices that process the microphone (echo cancelling, noise suppression) are known by their names."""

from __future__ import annotations


def test_capture_effects_are_recognised_by_name() -> None:
    from custom_components.uspd.engine.sources.soundcard import audio_effects

    assert audio_effects("Echo-Cancel Source") == "Echo-Cancel"
    assert audio_effects("alsa_input.usb-Jabra.noise_suppression") == "noise_suppress"
    assert audio_effects("webrtc processing") == "webrtc"
    assert audio_effects("USB Audio Device: hw:1,0") is None
    assert audio_effects("pulse") is None
