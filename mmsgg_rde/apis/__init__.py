from .frequency_prior import evaluate_frequency_prior, frequency_prior_sample

__all__ = ['evaluate_frequency_prior', 'frequency_prior_sample']
