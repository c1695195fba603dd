# Ablation (GMM sparsity M^2 N): IMM predicts subject, object, predicate.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(imm=dict(target='triplet'))))
