// Debian's Firefox ESR, headless, over WebDriver BiDi (puppeteer-core), with fake camera and microphone allowed and
// host candidates on loopback (architecture.md, "Firefox ESR"): what every script here drives.
import puppeteer from 'puppeteer-core';

export const launchFirefox = () => puppeteer.launch({
  browser: 'firefox',
  executablePath: '/usr/bin/firefox-esr',
  headless: true,
  extraPrefsFirefox: {
    'media.navigator.streams.fake': true,
    'media.navigator.permission.disabled': true,
    'permissions.default.camera': 1,
    'permissions.default.microphone': 1,
    'media.peerconnection.ice.loopback': true,
    'media.autoplay.default': 0,
  },
});
