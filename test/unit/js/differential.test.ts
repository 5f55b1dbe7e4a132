// The js backend against the float64 reference: the shared backend suite.
import { backendSuite } from '../../helpers/backend-suite.js';

backendSuite('js');
