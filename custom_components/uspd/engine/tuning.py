"""Every value the engine's decisions were tuned on, in one frozen dataclass.

Each field says which lab command chose it (lab/README.md; the sweeps'
output is in lab/results/). The lab sweeps a field with
``dataclasses.replace(TUNING, …)``; the engine takes its instance from
EngineConfig.tuning. What the user sets (sensitivity, hold) is
DetectorConfig, not this.

Logits are 0 for "on" at sensitivity 50 %. Gates are band energy in dB over
the noise floor (noise alone reads ~0 dB), machines' energy subtracted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Tuning:
    """The detector's thresholds and gates, and the still-line, symmetry and breathing rules' limits."""

    # The state machine (detector.py).
    onset_frames: int = 2
    """Frames in a row over the threshold before motion is reported; set by hand, `scripts/lab eval` measures it."""
    hysteresis_db: float = 3.0
    """How far under its threshold a reported state holds (as baseline dB); set by hand, `scripts/lab eval`."""
    db_per_sensitivity_pct: float = 0.12
    """Each 10 % of sensitivity moves every threshold by 1.2 baseline dB; set by hand, `scripts/lab eval`."""
    logit_per_db: float = 0.5
    """Logits per dB of band energy over a threshold or gate; set by hand, `scripts/lab eval` measures it."""
    # Someone coming in walks for seconds; an empty room's false MAJOR calls are mostly shorter. With
    # occupy_gate_db, the pair with the fewest false occupancies that leaves no more walk-ins unopened than
    # 6 frames at 6 dB: a room opens ~150 ms later (median), and the motion sensor is not delayed.
    occupy_frames: int = 12
    """Frames of MAJOR in a row, occupy_gate_db behind each, that open an empty room; `scripts/lab tune_detector`."""
    # A sequential test: walking clearly over both opening bars decided sooner than walking at their edge, unless the
    # walking band's strongest bin holds still (lines.held_still: a tone just come on) or its energy kept one way less
    # than a walker's (occupy_fast_one_way). 4 frames at 1 logit: 2 more walk-ins opened on the training streams, 100
    # ms sooner (median), and with the share no more rooms (lab/results/tune_detector.txt, the last --fast table).
    occupy_fast_frames: int = 4
    """MAJOR frames in a row, each occupy_fast_logit over the bars, opening a room; `scripts/lab tune_detector`."""
    occupy_fast_logit: float = 1.0
    """How far over both opening bars (network, gate) such a frame is; `scripts/lab tune_detector --fast`."""
    # A walker keeps one way frame after frame; a ceiling fan's draft holds one way for a few hundred ms at a time,
    # long enough for 100 ms of clear walking. The highest share that keeps the median opening within 300 ms there.
    occupy_fast_one_way: float = 0.8
    """Least one-way share (direction.py) over one_way_frames for a fast opening; `scripts/lab tune_detector --fast`."""
    # A falsely opened room beside a fan flickers MINOR dozens of times a minute, and so does a hand at work.
    # The shortest that leaves one Motion turn-on per false opening (lab/results/tune_detector.txt, --clear).
    motion_clear_s: float = 5.0
    """How long Motion stays on after the last motion in an occupied room; `scripts/lab tune_detector --clear`."""
    context_window_s: float = 300.0
    """How long after the last MAJOR motion minor motion counts more; set by hand, `scripts/lab eval` measures it."""
    network_context_boost_logit: float = 0.5
    """How much lower the network's motion bar sits in context: there it stays at 0.5 logit, where hand-set
    values (2.0 less 1.5) put it, now that the bar out of context is lower; `scripts/lab tune_detector --motion-bar`."""
    baseline_context_boost_logit: float = 0.5
    """The same for the baseline (a few noisy bins cross a lower bar too often); set by hand, `scripts/lab eval`."""

    # The baseline's evidence (evidence.py): band energy alone.
    minor_on_db: float = 6.0
    """Minor-band energy that is minor motion at sensitivity 50 %; set by hand, `scripts/lab eval` measures it."""
    major_on_db: float = 8.0
    """Walking-band energy that is major motion at sensitivity 50 %; set by hand, `scripts/lab eval` measures it."""

    # The network's evidence (evidence.py).
    # Out of context (seated from the start, or minutes after the last walk) 1 logit instead of 2 misses 9 % fewer hand
    # bursts, and after people walk out the bar stays where it was (lab/results/tune_detector.txt, --motion-bar).
    network_motion_bias_logit: float = 1.0
    """Motion's bar over p = 0.5 out of context (trained balanced); `scripts/lab tune_detector --motion-bar`."""
    network_major_bias_logit: float = 1.0
    """Walking's bar over p = 0.5, likewise; set by hand, `scripts/lab eval` measures it."""
    # The network's calls need band energy behind them, below the baseline's own thresholds: the gates keep
    # a texture it never saw from opening a room. Reporting walking and opening an empty room are separate
    # decisions (a wrong MAJOR report ends within frames, a wrong occupancy holds the room for hold_s and
    # fires automations), so each has its own walking-band gate: major_gate_db, lower, barely changes which
    # rooms open and reports more walks; motion_gate_db opens no rooms, and 2 dB finds more seated hand
    # bursts than 3 dB for 5-11 % more motion false alarms.
    major_gate_db: float = 1.5
    """Walking-band energy the network's MAJOR call needs to be reported; `scripts/lab tune_detector --occupy`."""
    motion_gate_db: float = 2.0
    """Energy in either band the network's motion call needs; `scripts/lab tune_detector --motion`."""
    # 1, the frame's own: 4 frames miss 9 % fewer hand bursts but keep rooms occupied after people left
    # (lab/results/tune_detector.txt, --motion-frames).
    motion_cap_frames: int = 1
    """Over how many frames an occupied room's motion gate finds it; `scripts/lab tune_detector --motion-frames`."""
    occupy_gate_db: float = 4.5
    """Walking-band energy the network's MAJOR call needs to open an empty room; `scripts/lab tune_detector`."""
    # A walker's echo fills a few of the walking band's 62 bins, a fan's draft most of them: the band's mean dilutes
    # the walker. 0 (off): the gate weighs the band's mean power (machines' excess taken off) against occupy_gate_db.
    # 8 bins at 9 dB opened 4 more of the training streams' 213 walk-ins and 4 of the widened stream's 182, but a room
    # more there, and on the shifted suite reported 4 more walks for 2 more rooms (lab/results/tune_detector.txt,
    # --top --wide-hours 12; lab/README.md).
    occupy_gate_top_bins: int = 0
    """Else the mean of this many strongest walking bins opens, against occupy_gate_top_db; `scripts/lab tune_detector
    --top`."""
    occupy_gate_top_db: float = 9.0
    """Those bins' level (the network's input: no machines' excess taken off) that opens; `scripts/lab tune_detector
    --top`."""

    # Another device's tone: a still line in the walking band (lines.py).
    # The widest spread that leaves no more walk-ins unopened than without the rule; 2 dB misses one more.
    line_level_std_db: float = 1.5
    """Widest spread of a line's level over the window that keeps it a line; `scripts/lab tune_detector --lines`."""
    # A click, music or a curtain may take the strongest bin for a frame or two.
    line_min_frames: int = 9
    """In how many of the window's frames the line's bin is the strongest; `scripts/lab tune_detector --line-frames`."""
    line_guard_bins: int = 3
    """Grid bins either side of a line that are its own (leakage); set by hand, `scripts/lab walk_ins` measures it."""
    # With every later rule on, each step past 2 dB loses a walk-in beside a distractor and shuts no room
    # (`scripts/lab tune_detector --resteady`, lab/results/tune_detector.txt).
    steady_std_db: float | None = 2.0
    """Widest spread of a bin that is the line's too (None: only its sides); `scripts/lab tune_detector --steady`."""
    steady_min_db: float = 3.0
    """Least mean level over the floor of such a steady bin; set by hand with `scripts/lab tune_detector --steady`."""
    steady_reach_bins: int = 2
    """Bins either side of a steady run that are the line's too; set by hand, `scripts/lab tune_detector --steady`."""
    # Off: on the training streams no setting changed anything (`scripts/lab tune_detector --comb --wide-hours 12`,
    # lab/results/tune_detector.txt); on the shifted suite at 3 the same rooms opened, two later (lab/README.md).
    comb_teeth: int = 0
    """Up to this multiple of a line's offset, bins steady to that multiple of steady_std_db are its (0, 1: none);
    `scripts/lab tune_detector --comb`."""
    # Off: on the training streams 30 dB changes nothing (`scripts/lab tune_detector --split --wide-hours 12`,
    # lab/results/tune_detector.txt; 24 tones there peak in the slow bins), so they cannot choose it; what it did on
    # the shifted suite, which tunes nothing, is in lab/README.md.
    weak_line_db: float = math.inf
    """Least level of a line in the slow bins (lines.py); `scripts/lab tune_detector --split`."""
    # Off: at 30 or 25 dB it shuts 2 of the training streams' 6 opened rooms and costs no walk or walk-in (the --split
    # table in lab/results/tune_detector.txt), but on the shifted suite it changes nothing, and it costs CPU where
    # someone walks, which #26 asks not to grow (`scripts/env python -m lab.bench --repeat 9 --against
    # split_line_db=30` and a one-off probe of lines_in, lab/README.md).
    split_line_db: float = math.inf
    """Least level of a line split over two walking bins (lines.py); `scripts/lab tune_detector --split`."""
    # Each bin no higher than the one nearer the line, as a window's leakage falls. The training streams hold no
    # tone whose skirt matters (lab/results/tune_detector.txt, --tones: the same figures with it and without).
    line_skirt_db: float | None = 0.0
    """How far a skirt's bin may rise over the one nearer its line (None: none); `scripts/lab tune_detector --tones`."""
    # The tightest swept, and it costs no walk-in on the training stream. A known line's level falling this far is its
    # dropout (LineMemory).
    line_outlier_db: float | None = 4.5
    """A frame this far over the line's median is not its (None: any); `scripts/lab tune_detector --line-outliers`."""
    # The shortest swept: on the training streams no setting opened or shut a room (lab/results/tune_detector.txt,
    # --known).
    line_known_frames: int | None = 20
    """Frames a still line holds its bin to be known (LineMemory; None: never); `scripts/lab tune_detector --known`."""

    # Fans and music: as much energy approaching as receding (symmetry.py).
    # Each dB wider takes out false occupancies among fans, music, clicks and the wall and leaves one more
    # walk-in unopened: at 3 dB most are gone, 4 dB takes out one more.
    symmetry_db: float = 3.0
    """How even the walking band's two sides must be to open no room; `scripts/lab tune_detector --symmetry`."""

    # A draft (direction.py): the walking band's energy swinging both ways within a second, as no walker's does.
    # The highest share and longest window swept that cost no walk-in on the training streams, the widened one
    # included (lab/results/tune_detector.txt, --one-way); 0.5 or 60 frames lose one with a distractor there.
    one_way_frames: int = 40
    """Frames over which the walking band keeps one way to open a room; `scripts/lab tune_detector --one-way`."""
    one_way_share: float = 0.4
    """Least share of that window's side difference on its net side (0: off); `scripts/lab tune_detector --one-way`."""
    # A draft just come on has not swung both ways over a second yet, but within a few hundred ms its eddies have
    # turned it (direction.py). Each window (8-40 frames) and share (0.1-0.4) swept shut 3 of the widened stream's 8
    # false openings and 1 of the home set's 2, and left 1 of the widened stream's 182 walk-ins unopened
    # (lab/results/tune_detector.txt, --turn): the opening run's own 12 frames, and a share within those swept.
    turn_frames: int = 12
    """Frames (at most one_way_frames) against whose side a frame must not turn; `scripts/lab tune_detector --turn`."""
    turn_share: float = 0.3
    """Share of their side difference against a frame's that bars it (inf: off); `scripts/lab tune_detector --turn`."""

    # Music and a fan's draft hold the walking band up for as long as they sound; someone coming in rises over
    # it. So the band's mean over the last occupy_frames must reach its median over the frames before (not beside
    # a still line: a tone holds the whole band up). The most asked of it that lost no walk or walk-in on the
    # training streams, the widened one included (lab/results/tune_detector.txt, --recent).
    recent_frames: int = 400
    """Frames before the opening run whose walking median the gate stands on; `scripts/lab tune_detector --recent`."""
    recent_rise_db: float = 0.0
    """How far over that median walking must rise to open a room (-inf: off); `scripts/lab tune_detector --recent`."""

    # Breathing (stillness.py).
    # 3.4 dB over the highest window of 3.5 h of empty rooms with fans, curtains, music, tones and clicks on
    # training seeds (30.6 dB, a curtain swaying slowly); seated readers' still stretches score 35-70 dB.
    # Over the whole 20 h stream one window reached 35.1 dB (lab/results/stillness.txt, --hours 20 --home 240), with the
    # widened stream's first 12 h 40.9 dB (a pedestal fan; --wide-hours 12): it restarts a hold, opens nothing.
    still_on_db: float = 34.0
    """Breathing's score over which an occupied room stays occupied; `scripts/lab stillness`."""

    # Someone already seated when sensing starts (detector.py): minor motion and breathing together, sustained.
    # Set by hand on the seated and negative scenes of `scripts/lab eval`; figures and commands: lab/results/settle.txt.
    # No empty room of 1 h of negatives held breathing at all; 5 h with no machine guard opened none. The machine
    # guard costs seated people most (a hand's walking-band energy is even too): 0.2 costs none of them.
    settle_window_s: float = 30.0
    """The window in which a seated person's minor motion and breathing open a vacant room; `scripts/lab eval`."""
    settle_minor_seconds: int = 8
    """Different seconds of that window that hold MINOR motion (spread, not one burst); by hand, `scripts/lab eval`."""
    # 3 s, chosen on the training streams, recognised fewer seated people on the held-out sets: lab/README.md.
    settle_breath_s: float = 2.0
    """Seconds of that window with breathing over settle_still_db; by hand, `scripts/lab eval`."""
    # A seated person's own hands fill breathing's noise band: windows a hand moved through score 17 dB lower
    # (scripts/lab stillness). The settle rule asks for those hands too, so it cannot ask the hold's 34 dB; a step
    # over 26, the lowest that opened no empty room more on the training streams (lab/results/tune_detector.txt).
    settle_still_db: float = 28.0
    """Breathing's score over which a window counts for the settle rule; `scripts/lab tune_detector --settle-db`."""
    settle_machine_share: float = 0.2
    """Most of the window's frames that may look like a fan, music or a tone; by hand, `scripts/lab eval`."""
    settle_guard_db: float = 3.0
    """Energy beyond human speeds (fan blades) that may make a frame machine-like; by hand, `scripts/lab eval`."""
    # Keys, clicks and steps through a wall put it in a frame or two at a time (a fifth of all frames in a busy
    # room); a fan's blades fill the second. The least tried that held back no more seated people than none:
    # lab/results/tune_detector.txt, --settle-guard.
    settle_guard_persist: float = 0.5
    """A second's share it must fill to count as a machine's; `scripts/lab tune_detector --settle-guard`."""

    # Music's distortion taken out with what the mics hear of it (engine/reference.py). Off: with the network
    # retrained on what it leaves, the shifted suite's music opened more empty rooms, 9 in 6 h instead of 4,
    # though more walks with music were reported (lab/results/music_reference.txt). On, the engine keeps the
    # sound below 1 kHz in memory: README.md's privacy section must say so before it ships on.
    music_reference: bool = False
    """Cancel music's distortion from the audible band; `scripts/lab eval --music-reference --model PATH`."""

    @property
    def hysteresis_logit(self) -> float:
        """hysteresis_db in logits."""
        return self.hysteresis_db * self.logit_per_db

    @property
    def logit_per_pct(self) -> float:
        """How far one percent of sensitivity moves every threshold, in logits."""
        return self.db_per_sensitivity_pct * self.logit_per_db

    def context_boost_logit(self, network: bool) -> float:
        """How much lower the minor bar sits in context, for the network's evidence or the baseline's."""
        return self.network_context_boost_logit if network else self.baseline_context_boost_logit


# The shipped values: EngineConfig's default, and what the lab sweeps from.
TUNING = Tuning()
