# Debiasing baseline: repeat-factor resampling of the training images by
# their rarest predicate (PredicateBalancedDataset).
_base_ = '../demo/motifs_demo_biased_predcls.py'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PredicateBalancedDataset',
        oversample_thr=0.1,
        dataset={{_base_.train_dataloader.dataset}}))
