//! Optimizers (PyTorch's update formulas) and learning-rate schedules.

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Optimizer {
    /// `torch.optim.Adam`: weight decay is L2 added to the gradient (it flows through both moments).
    Adam { beta1: f64, beta2: f64, eps: f64, weight_decay: f64 },
    /// `torch.optim.SGD` with heavy-ball momentum (no dampening, not Nesterov).
    Sgd { momentum: f64, weight_decay: f64 },
}

impl Optimizer {
    pub const fn adam() -> Optimizer {
        Optimizer::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 }
    }
}

/// The optimizer's state for one parameter vector.
#[derive(Clone, Debug)]
pub struct OptimizerState {
    pub optimizer: Optimizer,
    /// Adam's first moment, or SGD's momentum buffer.
    first: Vec<f32>,
    /// Adam's second moment.
    second: Vec<f32>,
    /// Updates taken.
    pub steps: u64,
}

impl OptimizerState {
    pub fn new(optimizer: Optimizer, parameters: usize) -> OptimizerState {
        let second = if matches!(optimizer, Optimizer::Adam { .. }) { vec![0.0; parameters] } else { Vec::new() };
        OptimizerState { optimizer, first: vec![0.0; parameters], second, steps: 0 }
    }

    /// One update of `params` by `grad` at learning rate `lr`. Elementwise f32 arithmetic in the order
    /// of PyTorch's single-tensor implementation; the bias corrections are computed in f64, as there.
    pub fn update(&mut self, params: &mut [f32], grad: &[f32], lr: f64) {
        self.steps += 1;
        match self.optimizer {
            Optimizer::Adam { beta1, beta2, eps, weight_decay } => {
                // libm, not the platform's pow and cos: the same bits natively and in wasm.
                let t = self.steps as f64;
                let bias1 = 1.0 - libm::pow(beta1, t);
                let bias2_sqrt = (1.0 - libm::pow(beta2, t)).sqrt();
                let step_size = (lr / bias1) as f32;
                let (b2, one_minus_b1, one_minus_b2, eps, wd, bc2) =
                    (beta2 as f32, (1.0 - beta1) as f32, (1.0 - beta2) as f32, eps as f32, weight_decay as f32, bias2_sqrt as f32);
                for (((p, &g), m), v) in params.iter_mut().zip(grad).zip(self.first.iter_mut()).zip(self.second.iter_mut()) {
                    let g = if wd != 0.0 { g + wd * *p } else { g };
                    // m.lerp_(g, 1 - beta1)
                    *m = *m + one_minus_b1 * (g - *m);
                    *v = *v * b2 + one_minus_b2 * g * g;
                    let denom = v.sqrt() / bc2 + eps;
                    *p = *p - step_size * (*m / denom);
                }
            }
            Optimizer::Sgd { momentum, weight_decay } => {
                let (mu, wd, lr) = (momentum as f32, weight_decay as f32, lr as f32);
                let first_step = self.steps == 1;
                for ((p, &g), buf) in params.iter_mut().zip(grad).zip(self.first.iter_mut()) {
                    let g = if wd != 0.0 { g + wd * *p } else { g };
                    let step = if mu != 0.0 {
                        *buf = if first_step { g } else { *buf * mu + g };
                        *buf
                    } else {
                        g
                    };
                    *p = *p - lr * step;
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    Constant,
    /// Half a cosine from the initial rate down to `initial * anneal` at the last step.
    Cosine,
    /// Three equal stages at `initial`, `initial * sqrt(anneal)`, `initial * anneal` (Sharma & Kaplan's
    /// three stages).
    Step,
}

impl Schedule {
    pub fn from_name(name: &str) -> Option<Schedule> {
        match name {
            "constant" => Some(Schedule::Constant),
            "cosine" => Some(Schedule::Cosine),
            "step" => Some(Schedule::Step),
            _ => None,
        }
    }

    /// The learning rate of step `t` of `total` (0-based).
    pub fn rate(self, initial: f64, anneal: f64, t: usize, total: usize) -> f64 {
        let progress = if total > 1 { t as f64 / (total - 1) as f64 } else { 0.0 };
        match self {
            Schedule::Constant => initial,
            Schedule::Cosine => {
                let floor = initial * anneal;
                floor + (initial - floor) * 0.5 * (1.0 + libm::cos(core::f64::consts::PI * progress))
            }
            Schedule::Step => {
                let stage = (3 * t / total.max(1)).min(2);
                initial * libm::pow(anneal, stage as f64 / 2.0)
            }
        }
    }
}
