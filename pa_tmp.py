import os, subprocess, time, numpy as np
run = "/tmp/uspd-pa-run"; os.makedirs(run, exist_ok=True)
os.environ["PULSE_SERVER"] = f"unix:{run}/native"
os.environ["ALSA_CONFIG_PATH"] = "/tmp/uspd-asound.conf"
PA = ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disable-shm=yes", "--log-target=stderr", "--log-level=error", "-F", "/dev/stdin"]
SCRIPT = f"load-module module-native-protocol-unix socket={run}/native auth-anonymous=1\nload-module module-null-sink sink_name=uspd rate=96000 channels=2\nset-default-sink uspd\nset-default-source uspd.monitor\n"
def start():
    p = subprocess.Popen(PA, stdin=subprocess.PIPE, env={**os.environ, "HOME": "/tmp/uspd-pa-home"})
    p.stdin.write(SCRIPT.encode()); p.stdin.close()
    for _ in range(50):
        if os.path.exists(f"{run}/native"): break
        time.sleep(0.1)
    time.sleep(0.3); return p
pa = start()
from custom_components.uspd.engine.sources import SourceConfig, SourceError
from custom_components.uspd.engine.sources.soundcard import SoundCard, list_devices
from custom_components.uspd.engine.carrier import detect_carrier
print(list_devices())
sc = SoundCard(SourceConfig(backend="soundcard", device="pulse", audio_rate_hz=96000, carrier_hz=40000))
print("channels", sc.channels)
blocks = [sc.read().audio for _ in range(30)]
x = np.concatenate(blocks)
print(x.shape, "carrier", detect_carrier(x, 96000), "rms", np.sqrt((x[-48000:]**2).mean(axis=0)), "xruns", sc.xruns)
pa.terminate(); pa.wait()
t0 = time.time()
try:
    for _ in range(100): sc.read()
except SourceError as e: print("lost after", round(time.time()-t0, 1), e.reason, e)
sc.close()
pa = start()
try:
    sc = SoundCard(SourceConfig(backend="soundcard", device="pulse", audio_rate_hz=96000, carrier_hz=40000))
    x = np.concatenate([sc.read().audio for _ in range(20)]); print("reopened", detect_carrier(x, 96000)); sc.close()
except SourceError as e: print("reopen failed", e)
pa.terminate(); pa.wait()
