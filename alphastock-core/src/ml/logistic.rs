//! L2-regularised logistic regression: `P(win) = 1 / (1 + e^−(b + Σ wᵢ·zᵢ))` with
//! `zᵢ = (xᵢ − meanᵢ) / scaleᵢ` (a `NaN` feature counts as its training mean, `zᵢ = 0`).
//!
//! Chosen over boosted trees for the signal filter because the datasets are small (hundreds to a
//! few thousand trades) and noisy, where a linear model with a penalty overfits least; its
//! weights can be read; inference is 13 multiply-adds; and it needs no dependency (the trainer
//! is plain full-batch gradient descent, deterministic).

use serde::{Deserialize, Serialize};

use super::features::{FeatureVector, FEATURE_COUNT, FEATURE_NAMES};

/// A trained logistic model: the model file (`model.json`) as written by `alphastock ml train`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// The feature names, in order; must equal [`FEATURE_NAMES`].
    pub features: Vec<String>,
    /// Training mean of each feature (its unit, see [`super::features`]).
    pub mean: Vec<f64>,
    /// Training standard deviation of each feature (1 where it was constant).
    pub scale: Vec<f64>,
    /// Weight of each standardised feature (log-odds per standard deviation).
    pub weights: Vec<f64>,
    /// Intercept, log-odds.
    pub bias: f64,
}

/// Why a model cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// The model was trained on other features (or in another order).
    #[error("model features {found:?} differ from this version's {expected:?}")]
    Features {
        /// What the model lists.
        found: Vec<String>,
        /// What this version computes.
        expected: Vec<String>,
    },
    /// A field has the wrong length or a non-finite number.
    #[error("model field `{field}`: {reason}")]
    Field {
        /// The field name.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// How to train.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainSettings {
    /// L2 penalty on the weights (not the intercept), per sample.
    pub l2: f64,
    /// Gradient steps.
    pub iterations: u32,
    /// Step size.
    pub learning_rate: f64,
}

impl Default for TrainSettings {
    /// `l2` 0.01, 400 iterations, step 0.5.
    fn default() -> Self {
        Self {
            l2: 0.01,
            iterations: 400,
            learning_rate: 0.5,
        }
    }
}

impl LogisticModel {
    /// Checks the feature names, lengths and that every number is finite (scales positive).
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.features.iter().map(String::as_str).ne(FEATURE_NAMES) {
            return Err(ModelError::Features {
                found: self.features.clone(),
                expected: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
            });
        }
        for (field, v) in [
            ("mean", &self.mean),
            ("scale", &self.scale),
            ("weights", &self.weights),
        ] {
            if v.len() != FEATURE_COUNT {
                return Err(ModelError::Field {
                    field,
                    reason: format!("has {} values, expected {FEATURE_COUNT}", v.len()),
                });
            }
            if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                return Err(ModelError::Field {
                    field,
                    reason: format!("value {i} ({}) is not a finite number", FEATURE_NAMES[i]),
                });
            }
        }
        if let Some(i) = self.scale.iter().position(|s| *s <= 0.0) {
            return Err(ModelError::Field {
                field: "scale",
                reason: format!("value {i} ({}) is not positive", FEATURE_NAMES[i]),
            });
        }
        if !self.bias.is_finite() {
            return Err(ModelError::Field {
                field: "bias",
                reason: "is not a finite number".into(),
            });
        }
        Ok(())
    }

    /// The probability (0–1) that a signal with these features ends in a net win.
    pub fn probability(&self, x: &FeatureVector) -> f64 {
        let mut z = self.bias;
        for i in 0..FEATURE_COUNT.min(self.weights.len()) {
            let v = x.0[i];
            if v.is_finite() {
                z += self.weights[i] * (v - self.mean[i]) / self.scale[i];
            }
        }
        sigmoid(z)
    }

    /// Fits a model to `rows` with labels `wins` (true = net P&L above zero).
    /// With no rows, or one class only, the weights are zero and the intercept gives the
    /// observed rate (clamped to 0.001–0.999).
    pub fn train(rows: &[FeatureVector], wins: &[bool], settings: TrainSettings) -> Self {
        let n = rows.len().min(wins.len());
        let (mean, scale) = standardisation(&rows[..n]);
        let z: Vec<[f64; FEATURE_COUNT]> = rows[..n]
            .iter()
            .map(|r| {
                let mut out = [0.0; FEATURE_COUNT];
                for i in 0..FEATURE_COUNT {
                    if r.0[i].is_finite() {
                        out[i] = (r.0[i] - mean[i]) / scale[i];
                    }
                }
                out
            })
            .collect();
        let y: Vec<f64> = wins[..n].iter().map(|w| f64::from(u8::from(*w))).collect();
        let rate = if n == 0 {
            0.5
        } else {
            (y.iter().sum::<f64>() / n as f64).clamp(0.001, 0.999)
        };
        let mut w = [0.0; FEATURE_COUNT];
        let mut b = (rate / (1.0 - rate)).ln();
        let one_class = y.iter().all(|v| *v == y[0]);
        if n > 0 && !one_class {
            let inv_n = 1.0 / n as f64;
            for _ in 0..settings.iterations {
                let mut gw = [0.0; FEATURE_COUNT];
                let mut gb = 0.0;
                for (zi, yi) in z.iter().zip(&y) {
                    let mut s = b;
                    for j in 0..FEATURE_COUNT {
                        s += w[j] * zi[j];
                    }
                    let err = sigmoid(s) - yi;
                    gb += err;
                    for j in 0..FEATURE_COUNT {
                        gw[j] += err * zi[j];
                    }
                }
                b -= settings.learning_rate * gb * inv_n;
                for j in 0..FEATURE_COUNT {
                    w[j] -= settings.learning_rate * (gw[j] * inv_n + settings.l2 * w[j]);
                }
            }
        }
        LogisticModel {
            features: FEATURE_NAMES.iter().map(|s| s.to_string()).collect(),
            mean: mean.to_vec(),
            scale: scale.to_vec(),
            weights: w.to_vec(),
            bias: b,
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Mean and standard deviation of each feature over its finite values (0 and 1 when there
/// are none; scale 1 when constant).
fn standardisation(rows: &[FeatureVector]) -> ([f64; FEATURE_COUNT], [f64; FEATURE_COUNT]) {
    let mut mean = [0.0; FEATURE_COUNT];
    let mut scale = [1.0; FEATURE_COUNT];
    for i in 0..FEATURE_COUNT {
        let vals: Vec<f64> = rows
            .iter()
            .map(|r| r.0[i])
            .filter(|v| v.is_finite())
            .collect();
        if vals.is_empty() {
            continue;
        }
        let m = vals.iter().sum::<f64>() / vals.len() as f64;
        let var = vals.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / vals.len() as f64;
        mean[i] = m;
        if var.sqrt() > 1e-12 {
            scale[i] = var.sqrt();
        }
    }
    (mean, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: &[(usize, f64)]) -> FeatureVector {
        let mut x = [0.0; FEATURE_COUNT];
        for (i, v) in values {
            x[*i] = *v;
        }
        FeatureVector(x)
    }

    #[test]
    fn hand_computed_probability() {
        let mut m = LogisticModel::train(&[], &[], TrainSettings::default());
        m.mean[1] = 50.0;
        m.scale[1] = 10.0;
        m.weights[1] = 2.0;
        m.bias = -1.0;
        // z = −1 + 2 · (60 − 50) / 10 = 1 → 1 / (1 + e^−1) = 0.7310585786300049
        let p = m.probability(&row(&[(1, 60.0)]));
        assert!((p - 0.731_058_578_630_004_9).abs() < 1e-15);
        // An unknown confidence is the mean: z = −1.
        let mut x = row(&[]);
        x.0[1] = f64::NAN;
        assert!((m.probability(&x) - 0.268_941_421_369_995_1).abs() < 1e-15);
    }

    #[test]
    fn learns_a_separable_rule_and_round_trips_as_json() {
        // Wins exactly when confidence > 50.
        let rows: Vec<FeatureVector> = (0..200)
            .map(|i| row(&[(1, f64::from(i % 100)), (5, f64::from(i))]))
            .collect();
        let wins: Vec<bool> = rows.iter().map(|r| r.0[1] > 50.0).collect();
        let m = LogisticModel::train(&rows, &wins, TrainSettings::default());
        m.validate().unwrap();
        assert!(m.probability(&row(&[(1, 90.0)])) > 0.9);
        assert!(m.probability(&row(&[(1, 10.0)])) < 0.1);
        let text = serde_json::to_string(&m).unwrap();
        let back: LogisticModel = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn one_class_gives_the_rate() {
        let rows = vec![row(&[(1, 1.0)]); 10];
        let m = LogisticModel::train(&rows, &[false; 10], TrainSettings::default());
        assert!((m.probability(&rows[0]) - 0.001).abs() < 1e-12);
        assert!(m.weights.iter().all(|w| *w == 0.0));
    }

    #[test]
    fn a_model_of_other_features_is_refused() {
        let mut m = LogisticModel::train(&[], &[], TrainSettings::default());
        m.features[0] = "colour".into();
        assert!(matches!(m.validate(), Err(ModelError::Features { .. })));
        let mut m = LogisticModel::train(&[], &[], TrainSettings::default());
        m.weights.pop();
        assert!(m.validate().unwrap_err().to_string().contains("weights"));
        let mut m = LogisticModel::train(&[], &[], TrainSettings::default());
        m.scale[3] = 0.0;
        assert!(m
            .validate()
            .unwrap_err()
            .to_string()
            .contains("expected_move_pct"));
    }
}
