//! G.711 µ-law (PCMU) encoding and the tone the ringback bot plays: all the codec a
//! generated tone needs (the echo bot sends frames back as they came and decodes nothing).

/// Encodes one 16-bit linear sample as µ-law (ITU-T G.711, the segment/mantissa form).
#[must_use]
pub fn ulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32_635;
    let s = i32::from(sample);
    let sign: u8 = if s < 0 { 0x80 } else { 0 };
    let magnitude = s.abs().min(CLIP) + BIAS;
    // The segment is the position of the highest set bit above bit 7.
    let mut exponent = 7u8;
    let mut mask = 0x4000;
    while exponent > 0 && magnitude & mask == 0 {
        exponent -= 1;
        mask >>= 1;
    }
    let mantissa = ((magnitude >> (exponent + 3)) & 0x0f) as u8;
    !(sign | (exponent << 4) | mantissa)
}

/// Decodes one µ-law byte (tests check the encoder against it).
#[must_use]
pub fn ulaw_decode(byte: u8) -> i16 {
    let b = !byte;
    let exponent = (b >> 4) & 0x07;
    let mantissa = i32::from(b & 0x0f);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    let v = if b & 0x80 != 0 { -magnitude } else { magnitude };
    v as i16
}

/// A sine tone sampled at 8 kHz, cut into 20 ms PCMU frames.
#[derive(Clone, Debug)]
pub struct Tone {
    /// Phase step per sample, in radians.
    step: f64,
    phase: f64,
    amplitude: f64,
}

/// Samples per 20 ms frame at 8 kHz.
pub const FRAME_SAMPLES: usize = 160;

impl Tone {
    /// A tone of `hz` at `level_dbfs` (e.g. -12.0).
    #[must_use]
    pub fn new(hz: f64, level_dbfs: f64) -> Tone {
        Tone {
            step: 2.0 * std::f64::consts::PI * hz / 8000.0,
            phase: 0.0,
            amplitude: 32_767.0 * 10f64.powf(level_dbfs / 20.0),
        }
    }

    /// The next 20 ms, PCMU encoded.
    pub fn frame(&mut self) -> [u8; FRAME_SAMPLES] {
        let mut out = [0u8; FRAME_SAMPLES];
        for byte in &mut out {
            let v = (self.phase.sin() * self.amplitude).round();
            *byte = ulaw(v.clamp(-32_768.0, 32_767.0) as i16);
            self.phase = (self.phase + self.step) % (2.0 * std::f64::consts::PI);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        // Values from the G.711 tables: silence, the extremes, and one step of each sign.
        assert_eq!(ulaw(0), 0xff);
        assert_eq!(ulaw(-1), 0x7f);
        assert_eq!(ulaw(32_767), 0x80);
        assert_eq!(ulaw(-32_768), 0x00);
        assert_eq!(ulaw(1000), 0xce);
        assert_eq!(ulaw(-1000), 0x4e);
    }

    #[test]
    fn round_trip_error_is_within_the_segment_step() {
        for s in (-32_000i32..32_000).step_by(37) {
            let s = s as i16;
            let back = i32::from(ulaw_decode(ulaw(s)));
            let err = (back - i32::from(s)).abs();
            // The quantisation step doubles per segment: at most 1/16 of the magnitude + bias.
            assert!(err <= (i32::from(s).abs() / 16) + 16, "{s} -> {back}");
        }
    }

    #[test]
    fn tone_has_its_level_and_frequency() {
        let mut tone = Tone::new(425.0, -12.0);
        let samples: Vec<f64> = (0..50)
            .flat_map(|_| tone.frame())
            .map(|b| f64::from(ulaw_decode(b)))
            .collect();
        let rms = (samples.iter().map(|s| s * s).sum::<f64>() / samples.len() as f64).sqrt();
        let dbfs = 20.0 * (rms * 2f64.sqrt() / 32_767.0).log10();
        assert!((dbfs + 12.0).abs() < 0.3, "level {dbfs} dBFS");
        // 1 s of a 425 Hz sine crosses zero upwards 425 times.
        let ups = samples
            .windows(2)
            .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
            .count();
        assert!((424..=426).contains(&ups), "{ups} cycles");
    }
}
