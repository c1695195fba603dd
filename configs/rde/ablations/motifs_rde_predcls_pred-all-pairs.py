# Control (not an RDE part): loss_rde_pred classifies the reconstructions of
# every sampled pair, background included, like the head's own loss, so that
# an RDE gain can be told from the extra foreground cross-entropy.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(pred_pairs='all')))
