using System.Globalization;

namespace Voki.Tests.Recording;

/// <summary>
/// A camera and microphone for the page (an init script that replaces getUserMedia) whose flash and beep both follow
/// one clock, the page's AudioContext: a plain colour that turns white for 0.1 s at each whole second, and a beep of its
/// own pitch scheduled on the audio clock for the same 0.1 s. Chromium's file-fed fake camera cannot serve a sync test on
/// a busy machine: when its capture thread is late it resumes from where it was without catching up
/// (media/capture/video/file_video_capture_device.cc, "don't accumulate any debt"), so its video slips behind the
/// file-fed audio for good, and the recording faithfully shows A/V offsets the source itself made.
/// </summary>
public static class ClockedMedia
{
    public static string Script(string color, int hz, int width, int height) => """
        (() => {
          const color = '__COLOR__', hz = __HZ__, width = __W__, height = __H__;
          let sources = null;
          async function start() {
            const audio = new AudioContext({ sampleRate: 48000 });
            await audio.resume();
            const destination = audio.createMediaStreamDestination();
            const tone = audio.createOscillator();
            const gain = audio.createGain();
            tone.frequency.value = hz;
            gain.gain.value = 0;
            tone.connect(gain).connect(destination);
            tone.start();
            const first = Math.ceil(audio.currentTime) + 1;
            let next = first;
            const canvas = document.createElement('canvas');
            canvas.width = width;
            canvas.height = height;
            const g = canvas.getContext('2d');
            const tick = () => {
              for (; next < audio.currentTime + 3; next++) {
                gain.gain.setValueAtTime(0.5, next);
                gain.gain.setValueAtTime(0, next + 0.1);
              }
              const t = audio.currentTime;
              g.fillStyle = t >= first && t - Math.floor(t) < 0.1 ? '#ffffff' : color;
              g.fillRect(0, 0, width, height);
            };
            tick();
            setInterval(tick, 5);
            const video = canvas.captureStream(30).getVideoTracks()[0];
            return { audio: destination.stream.getAudioTracks()[0], video };
          }
          navigator.mediaDevices.getUserMedia = async constraints => {
            sources ??= await start();
            const tracks = [];
            if (constraints?.audio) tracks.push(sources.audio.clone());
            if (constraints?.video) tracks.push(sources.video.clone());
            return new MediaStream(tracks);
          };
        })();
        """.Replace("__COLOR__", "#" + color[2..]).Replace("__HZ__", hz.ToString(CultureInfo.InvariantCulture))
        .Replace("__W__", width.ToString(CultureInfo.InvariantCulture)).Replace("__H__", height.ToString(CultureInfo.InvariantCulture));
}
