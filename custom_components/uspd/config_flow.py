"""Config flow: pick a backend, describe it, and test it before creating the entry."""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import probatio as vol
from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigEntry, ConfigFlow, ConfigFlowResult, OptionsFlow
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)

from .const import (
    BACKEND_RECORDING,
    BACKEND_SIMULATED,
    BACKEND_SOUNDCARD,
    BACKENDS,
    CONF_AUDIO_RATE_HZ,
    CONF_BACKEND,
    CONF_CARRIER_HZ,
    CONF_CLEAR_DELAY,
    CONF_DEVICE,
    CONF_EMISSION,
    CONF_MICS,
    CONF_PATH,
    CONF_POWER_SAVE,
    CONF_SCENARIO,
    CONF_SENSITIVITY,
    DEFAULT_CLEAR_DELAY_S,
    DEFAULT_SENSITIVITY,
    DOMAIN,
    MAX_CLEAR_DELAY_S,
    MIN_CLEAR_DELAY_S,
)
from .data import UspdEntryData, source_config_from_data
from .engine.sources import SourceError
from .engine.sources.soundcard import DeviceInfo, list_devices, probe_device
from .sim.library import SCENARIOS
from .sim.source import open_source


def _probe(data: UspdEntryData) -> None:
    """Open the source once and close it: blocking, run in the executor."""
    open_source(source_config_from_data(data)).close()


def _check_recording_path(hass: HomeAssistant, path: str) -> tuple[str, str] | None:
    """(error key, message) when Home Assistant may not read `path` or it is no regular file: blocking.

    Only folders the user allowed (allowlist_external_dirs, the media folders)
    may be read, links resolved; and only a regular file: a folder cannot be
    replayed, and a FIFO or a device would block whoever opens it.
    """
    if not hass.config.is_allowed_path(path):
        return "path_not_allowed", f"{path} is not in a folder Home Assistant may read"
    try:
        mode = Path(path).stat().st_mode
    except OSError as err:
        return "file_not_found", f"cannot open {path}: {err.strerror}"
    if not stat.S_ISREG(mode):
        return "not_a_file", f"{path} is not a regular file"
    return None


class UspdConfigFlow(ConfigFlow, domain=DOMAIN):
    """Pick a backend, describe it, test it, create (or reconfigure) the entry."""

    VERSION = 1
    _device: DeviceInfo

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> UspdOptionsFlow:
        """Sensitivity, clear delay, emission and power saving."""
        return UspdOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the backend; its own step describes it."""
        if user_input is not None:
            step: Callable[[], Awaitable[ConfigFlowResult]] = getattr(self, f"async_step_{user_input[CONF_BACKEND]}")
            return await step()
        schema = vol.Schema(
            {
                vol.Required(CONF_BACKEND, default=BACKEND_SIMULATED): SelectSelector(
                    SelectSelectorConfig(
                        options=list(BACKENDS), translation_key=CONF_BACKEND, mode=SelectSelectorMode.LIST
                    )
                )
            }
        )
        return self.async_show_form(step_id="user", data_schema=schema)

    async def _async_try_create(
        self,
        step_id: str,
        data: UspdEntryData,
        unique_id: str,
        title: str,
        schema: vol.Schema,
        placeholders: dict[str, str] | None = None,
    ) -> ConfigFlowResult:
        reconfiguring = self.source == SOURCE_RECONFIGURE
        await self.async_set_unique_id(unique_id)
        if reconfiguring:
            # The entry may keep its own source; another entry's is taken.
            own = self._get_reconfigure_entry().entry_id
            if any(e.unique_id == unique_id and e.entry_id != own for e in self._async_current_entries()):
                return self.async_abort(reason="already_configured")
        else:
            self._abort_if_unique_id_configured()
        try:
            await self.hass.async_add_executor_job(_probe, data)
        except SourceError as err:
            return self.async_show_form(
                step_id=step_id,
                data_schema=self.add_suggested_values_to_schema(schema, data),
                errors={"base": err.reason},
                description_placeholders={**(placeholders or {}), "error": str(err)},
            )
        if reconfiguring:
            return self.async_update_reload_and_abort(
                self._get_reconfigure_entry(), unique_id=unique_id, title=title, data=data
            )
        return self.async_create_entry(title=title, data=data)

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change the audio source (backend, device, file or scenario) of an existing device."""
        return await self.async_step_user(user_input)

    async def async_step_simulated(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick a simulated room (and, optionally, a name)."""
        schema = vol.Schema(
            {
                vol.Required(CONF_SCENARIO, default="demo_loop"): SelectSelector(
                    SelectSelectorConfig(options=list(SCENARIOS), translation_key=CONF_SCENARIO)
                ),
                vol.Optional(CONF_NAME): TextSelector(),
            }
        )
        if user_input is None:
            if self.source == SOURCE_RECONFIGURE:
                # Keep the device's name (a room's, say) unless the person changes it.
                entry = self._get_reconfigure_entry()
                schema = self.add_suggested_values_to_schema(
                    schema, {CONF_NAME: entry.title, CONF_SCENARIO: entry.data.get(CONF_SCENARIO)}
                )
            return self.async_show_form(step_id=BACKEND_SIMULATED, data_schema=schema)
        scenario = user_input[CONF_SCENARIO]
        data: UspdEntryData = {CONF_BACKEND: BACKEND_SIMULATED, CONF_SCENARIO: scenario}
        title = user_input.get(CONF_NAME, "").strip() or f"Simulated room ({scenario.replace('_', ' ')})"
        return await self._async_try_create(BACKEND_SIMULATED, data, f"simulated_{scenario}", title, schema)

    async def async_step_recording(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Name a WAV file Home Assistant may read."""
        schema = vol.Schema({vol.Required(CONF_PATH): TextSelector()})
        if user_input is None:
            return self.async_show_form(step_id=BACKEND_RECORDING, data_schema=schema)
        # Lexical, as typed: Path.resolve would follow links, and Path.expanduser raises on an unknown ~user.
        path = os.path.abspath(os.path.expanduser(user_input[CONF_PATH].strip()))  # noqa: PTH100, PTH111 - lexical
        data: UspdEntryData = {CONF_BACKEND: BACKEND_RECORDING, CONF_PATH: path}
        refused = await self.hass.async_add_executor_job(_check_recording_path, self.hass, path)
        if refused is not None:
            return self.async_show_form(
                step_id=BACKEND_RECORDING,
                data_schema=self.add_suggested_values_to_schema(schema, data),
                errors={"base": refused[0]},
                description_placeholders={"error": refused[1]},
            )
        title = f"Recording {Path(path).name}"
        return await self._async_try_create(BACKEND_RECORDING, data, f"recording_{path}", title, schema)

    async def async_step_soundcard(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the device; its settings come next, from what it accepts."""
        try:
            devices = await self.hass.async_add_executor_job(list_devices)
        except SourceError as err:
            return self.async_abort(reason=err.reason, description_placeholders={"error": str(err)})
        if not devices:
            return self.async_abort(reason="no_devices")
        schema = vol.Schema(
            {vol.Required(CONF_DEVICE, default=devices[0]): SelectSelector(SelectSelectorConfig(options=devices))}
        )
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                self._device = await self.hass.async_add_executor_job(probe_device, user_input[CONF_DEVICE])
            except SourceError as err:
                errors["base"] = err.reason
                placeholders["error"] = str(err)
            else:
                return await self.async_step_soundcard_settings()
        return self.async_show_form(
            step_id=BACKEND_SOUNDCARD, data_schema=schema, errors=errors, description_placeholders=placeholders
        )

    async def async_step_soundcard_settings(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Rate, carrier and mics, from what the device accepts."""
        device = self._device
        schema = vol.Schema(
            {
                vol.Required(CONF_AUDIO_RATE_HZ, default=str(device.best_rate_hz)): SelectSelector(
                    SelectSelectorConfig(options=[str(r) for r in device.rates_hz])
                ),
                vol.Required(CONF_CARRIER_HZ, default=device.carrier_hz): NumberSelector(
                    NumberSelectorConfig(
                        min=18000, max=86000, step=100, unit_of_measurement="Hz", mode=NumberSelectorMode.BOX
                    )
                ),
                vol.Required(CONF_MICS, default=device.mics): NumberSelector(
                    NumberSelectorConfig(min=1, max=8, step=1, mode=NumberSelectorMode.BOX)
                ),
            }
        )
        placeholders = {"device": device.name, "rates": ", ".join(map(str, device.rates_hz))}
        if user_input is None:
            return self.async_show_form(
                step_id="soundcard_settings", data_schema=schema, description_placeholders=placeholders
            )
        data: UspdEntryData = {
            CONF_BACKEND: BACKEND_SOUNDCARD,
            CONF_DEVICE: device.name,
            CONF_AUDIO_RATE_HZ: int(user_input[CONF_AUDIO_RATE_HZ]),
            CONF_CARRIER_HZ: int(user_input[CONF_CARRIER_HZ]),
            CONF_MICS: int(user_input[CONF_MICS]),
        }
        return await self._async_try_create(
            "soundcard_settings", data, f"soundcard_{device.name}", device.name, schema, placeholders
        )


class UspdOptionsFlow(OptionsFlow):
    """Sensitivity, clear delay, emission and power saving; the same options the config entities set."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """One form: every option, prefilled with its current value."""
        if user_input is not None:
            return self.async_create_entry(data={**self.config_entry.options, **user_input})
        options = self.config_entry.options
        schema = vol.Schema(
            {
                vol.Required(CONF_SENSITIVITY, default=options.get(CONF_SENSITIVITY, DEFAULT_SENSITIVITY)): (
                    NumberSelector(
                        NumberSelectorConfig(
                            min=0, max=100, step=1, unit_of_measurement="%", mode=NumberSelectorMode.SLIDER
                        )
                    )
                ),
                vol.Required(CONF_CLEAR_DELAY, default=options.get(CONF_CLEAR_DELAY, DEFAULT_CLEAR_DELAY_S)): (
                    NumberSelector(
                        NumberSelectorConfig(
                            min=MIN_CLEAR_DELAY_S,
                            max=MAX_CLEAR_DELAY_S,
                            step=1,
                            unit_of_measurement="s",
                            mode=NumberSelectorMode.BOX,
                        )
                    )
                ),
                vol.Required(CONF_EMISSION, default=options.get(CONF_EMISSION, True)): BooleanSelector(),
                vol.Required(CONF_POWER_SAVE, default=options.get(CONF_POWER_SAVE, True)): BooleanSelector(),
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
