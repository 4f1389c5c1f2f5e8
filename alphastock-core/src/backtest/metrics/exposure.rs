//! Exposure (time in market): the fraction of replayed time steps (distinct candle timestamps)
//! at whose end at least one position was open.
//! Definition: <https://www.investopedia.com/terms/e/exposure.asp> (here measured in time, as
//! backtesting tools report "exposure time").

/// Fraction of time with a position open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Exposure {
    /// steps in market / steps (0–1); 0 when nothing was replayed.
    pub fraction: f64,
}

impl Exposure {
    /// From step counts.
    pub fn calculate(steps: u64, steps_in_market: u64) -> Exposure {
        let fraction = if steps == 0 {
            0.0
        } else {
            steps_in_market as f64 / steps as f64
        };
        Exposure { fraction }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifteen_of_sixty_steps_is_a_quarter() {
        assert_eq!(Exposure::calculate(60, 15).fraction, 0.25);
        assert_eq!(Exposure::calculate(0, 0).fraction, 0.0);
    }
}
