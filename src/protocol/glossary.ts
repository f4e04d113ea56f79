// One explanation per term, written once: the CLI summary prints them under its numbers and the panel shows them as
// hovers, so a student reads the same words in both places. Each says what the number is and how to read it.

export type GlossaryTerm =
  'gamma' | 'radius' | 'sigmaMax' | 'horizon' | 'slope' | 'alive' | 'flowRow' | 'stepGain' | 'bound';

export const GLOSSARY: Record<GlossaryTerm, string> = {
  gamma:
    'γ bounds the slope of the nonlinearity, |f′| ≤ γ: 1 for tanh and relu, 1/4 for the logistic sigmoid. ' +
    'One step multiplies the gradient by at most γ·σ_max, so 1/γ is the line ρ and σ_max are compared with.',
  radius:
    'ρ is the spectral radius of the recurrent matrix: its largest eigenvalue magnitude. In the linear case ρ < 1/γ ' +
    'makes long-range gradients vanish; ρ > 1/γ means some direction is amplified step after step. ' +
    'For an LSTM or GRU it is the candidate block W_hg (W_hn) only, not the gated step.',
  sigmaMax:
    'σ_max is the largest singular value of the recurrent matrix: the most one step can stretch a vector. ' +
    'σ_max < 1/γ guarantees that long-range gradients vanish (Pascanu et al. 2013); σ_max > 1/γ is needed for them to ' +
    'explode but does not force it. For an LSTM or GRU it is the candidate block W_hg (W_hn) only.',
  horizon:
    'The memory horizon is the smallest distance d = t − k at which ‖∂ℓ_t/∂h_k‖, averaged over the rows measured, ' +
    'falls below 1/1000 of its value at d = 0. Dependencies longer than that get little learning signal.',
  slope:
    'The decay slope is the least-squares slope of log10‖∂ℓ_t/∂h_{t−d}‖ against the distance d, in log10 per step: ' +
    '−0.1 means the gradient shrinks ×0.79 per step back, 0 means it keeps its size, a positive slope means it grows.',
  alive:
    'The alive fraction is the share of steps k whose gradient ‖∂L/∂h_k‖² is above 1e-20 (Pascanu et al. 2013): ' +
    'the steps that still receive any learning signal at all.',
  flowRow:
    'Row t of the flow matrix holds ‖∂ℓ_t/∂h_k‖ for k ≤ t: how strongly the loss at step t reaches back to the hidden ' +
    'state at each earlier step k. Zero beyond a truncated-BPTT cut.',
  stepGain:
    'The step gain is the most one step can stretch the gradient, averaged over the sequence: the geometric mean over ' +
    'steps of the spectral norm of the full step Jacobian ∂h_t/∂h_{t−1} (gates included; for an LSTM the state is ' +
    '(h_t, c_t)). Below 1 the gradient must shrink as it flows back; above 1 it may grow, and the decay slope shows ' +
    'whether it does. For an RNN it never exceeds γ·σ_max.',
  bound:
    'The bound (γσ_max)^d is the most the gradient can keep after d steps of a vanilla RNN: ' +
    '‖∂h_t/∂h_{t−d}‖ ≤ (γσ_max)^d. On the log scale it is a straight line of slope log10(γσ_max) that the measured ' +
    'decay stays under. It allows growth when γσ_max > 1 but does not force it.',
};
