# Ablation (GMM sparsity M^2 N, as the default): IMM also predicts the
# predicate, which mu already carries.
_base_ = '../motifs_rde_predcls.py'

model = dict(relation_head=dict(rde=dict(imm=dict(target='triplet'))))
